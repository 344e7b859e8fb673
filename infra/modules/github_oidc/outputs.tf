output "provider_arn" {
  description = "ARN of the account's GitHub Actions OIDC provider (created here or before)."
  value       = local.provider_arn
}

output "role_arns" {
  description = "Role ARN by role name."
  value       = { for name, role in aws_iam_role.this : name => role.arn }
}

output "subjects" {
  description = "The OIDC subject each role trusts, by role name."
  value       = local.subjects
}

output "managed_policy_arns" {
  description = "ARN of each managed policy made for a role, by its name \"<role>-<purpose>\"."
  value       = { for name, policy in aws_iam_policy.this : name => policy.arn }
}
