/** A dataset on disk or in S3: a file, a folder, a glob, or `s3://bucket/prefix/`. */
export interface FileDataset {
  path: string;
  format: 'parquet' | 'csv';
}
