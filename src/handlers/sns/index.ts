export { createSnsListener, snsKeys, type SnsAlertJob, type SnsKeys, type SnsListenerOptions } from './sns-endpoint.ts';
export { createCertificateFetcher, type FetchCertificate, type CertificateFetcherOptions } from './fetch-sns-certificate.ts';
export { verifySnsMessage, type SnsMessage, type SnsRejectReason, type VerifyResult, type VerifySnsOptions } from './verify-sns-message.ts';
export { routeSnsNotification, type AlarmRouteRule, type SnsRoute } from './route-sns-notification.ts';
