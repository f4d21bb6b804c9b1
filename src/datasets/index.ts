/**
 * Where a dataset is and how to read it (issue 13): locating files locally and in S3, and
 * registering a dataset as a DuckDB view. The diff (`src/diff/`) and the DQ checks
 * (`src/checks/`) both read through this part, so a side is read the same way by both.
 */
export type * from './types.ts';
export { registerDataset, describeRelation, detectFormat, type DatasetAccess, type RegisteredDataset } from './register-dataset.ts';
export { registerPair, type PairOptions } from './register-pair.ts';
export { registerText, type TextRegisterOptions } from './text/register-text.ts';
export { parseManifest, redshiftType, type UnloadManifest } from './text/manifest.ts';
export { hivePartitions, unescapePathName, HIVE_DEFAULT_PARTITION } from './hive-partitions.ts';
export { createS3Access, downloadS3Dataset, listS3Objects, parseS3Url, isS3Path, type S3Access, type S3AccessOptions } from './s3-source.ts';
export { compileGlob, listLocalDataset, selectDataFiles, hasGlob, isCsvFileName } from './data-files.ts';
export { UnityCatalogClient, type TableInfo, type TemporaryTableCredentials } from './unity-catalog/uc-client.ts';
export type { UnityCatalogAccess } from './unity-catalog/register-table.ts';
