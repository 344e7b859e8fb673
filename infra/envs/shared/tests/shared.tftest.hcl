# The shared root with its committed terraform.tfvars, against a mocked AWS: one
# repository, pulled from by each environment's account, and the build job's role.

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "one_account_layout" {
  assert {
    condition     = output.ecr_repository_url == "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo"
    error_message = "One ECR repository named after the project."
  }
  assert {
    condition     = toset(flatten([for statement in module.pipeline.repository_policy_principals : statement])) == toset(["arn:aws:iam::123456789012:root"])
    error_message = "With every environment in this account, only this account's roles pull."
  }
  assert {
    condition     = output.github_variables.build.AWS_ROLE_ARN == output.image_push_role_arn && output.github_variables.repository.ECR_REPOSITORY_URL == output.ecr_repository_url
    error_message = "The GitHub variables name the push role and the repository."
  }
}

run "separate_accounts_layout" {
  variables {
    environment_account_ids = { dev = "222222222222", prod = "333333333333" }
  }
  assert {
    condition     = toset(flatten([for statement in module.pipeline.repository_policy_principals : statement])) == toset(["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"])
    error_message = "With an account per environment, each environment's account pulls, and the tooling account itself is named nowhere."
  }
}

run "repository_kept_unless_teardown_asks" {
  command = plan
  assert {
    condition     = module.pipeline.ecr_repository_force_delete == false
    error_message = "By default no destroy may delete the repository with prod's images in it."
  }
}

run "teardown_deletes_the_repository_with_its_images" {
  command = plan
  variables {
    force_delete_repository = true
  }
  assert {
    condition     = module.pipeline.ecr_repository_force_delete == true
    error_message = "force_delete_repository reaches the repository, so infra/teardown.sh shared can destroy it."
  }
}
