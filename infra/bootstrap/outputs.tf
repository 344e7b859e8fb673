output "state_bucket_name" {
  description = "Pass to the other roots as -backend-config=\"bucket=<this>\"."
  value       = module.state_bucket.bucket_name
}

output "state_bucket_region" {
  description = "Region of the state bucket."
  value       = module.state_bucket.bucket_region
}
