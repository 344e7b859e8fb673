output "bucket_name" {
  description = "Name of the state bucket, for -backend-config=\"bucket=...\"."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_region" {
  description = "Region of the state bucket, for -backend-config=\"region=...\"."
  value       = aws_s3_bucket.this.region
}
