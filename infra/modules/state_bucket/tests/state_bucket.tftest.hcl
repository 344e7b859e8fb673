# The state bucket against a mocked AWS. Plans only: the bucket is protected by
# prevent_destroy, which a test's teardown would trip over.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  bucket_name = "http-echo-tfstate-123456789012"
}

run "versioned_encrypted_private" {
  command = plan

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "State is versioned."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "State is encrypted with KMS."
  }
  assert {
    condition = (aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.block_public_policy &&
    aws_s3_bucket_public_access_block.this.ignore_public_acls && aws_s3_bucket_public_access_block.this.restrict_public_buckets)
    error_message = "All public access is blocked."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs are disabled."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this.rule[0].noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "Old state versions are kept 90 days."
  }
  assert {
    condition     = anytrue([for statement in data.aws_iam_policy_document.this.statement : statement.effect == "Deny" && anytrue([for condition in statement.condition : condition.variable == "aws:SecureTransport" && toset(condition.values) == toset(["false"])])])
    error_message = "Requests over plain HTTP are denied."
  }
}

run "rejects_bad_bucket_name" {
  command = plan
  variables {
    bucket_name = "Http_Echo_State"
  }
  expect_failures = [var.bucket_name]
}
