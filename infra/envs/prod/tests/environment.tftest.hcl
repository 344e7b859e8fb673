# The prod root with its committed terraform.tfvars, against a mocked AWS: the
# shape prod is meant to have, which differs from dev's only through values.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  container_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
}

run "prod_shape" {
  assert {
    condition     = output.ecs_cluster_name == "http-echo-prod" && output.ecs_service_name == "http-echo-prod"
    error_message = "prod's resources are named http-echo-prod."
  }
  assert {
    condition     = length(module.network.availability_zones) == 3 && length(output.private_subnet_ids) == 3
    error_message = "prod spans three zones."
  }
  assert {
    condition     = toset(keys(module.network.nat_gateway_ids)) == toset(["us-east-1a", "us-east-1b", "us-east-1c"])
    error_message = "prod has a NAT gateway in every zone, so losing one zone keeps egress."
  }
  assert {
    condition     = var.fargate_spot == false && var.deletion_protection == true && var.log_retention_days >= 90
    error_message = "prod runs on regular Fargate, is deletion-protected and keeps logs at least 90 days."
  }
  assert {
    condition     = output.container_image == var.container_image
    error_message = "prod deploys an image by digest."
  }
}

run "prod_names_its_replicas_and_injects_no_fault" {
  command = plan
  assert {
    condition     = { for name, value in module.service.server_environment : name => value if !contains(["ECHO_TEXT", "ECHO_LISTEN", "ECHO_LOG_FORMAT", "ECHO_IDLE_TIMEOUT", "ECHO_SHUTDOWN_DELAY", "ECHO_SHUTDOWN_TIMEOUT"], name) } == { ECHO_SERVED_BY = "true" }
    error_message = "prod's tasks name themselves in X-Served-By (-served-by), and inject no fault."
  }
}

run "prod_refuses_a_rehearsal_fault" {
  command = plan
  variables {
    fault_injection = { error_rate = 0.5 }
  }
  expect_failures = [var.fault_injection]
}

run "prod_roles_carry_the_boundary_and_run_the_key" {
  command = plan
  assert {
    condition     = local.permissions_boundary_arn == "arn:aws:iam::123456789012:policy/http-echo-boundary-prod"
    error_message = "Every role of prod carries prod's permissions boundary, which its deploy role may only create roles under."
  }
  assert {
    condition     = module.service.key_policy_principals == { DeployRoleManagesThisKey = ["arn:aws:iam::123456789012:role/http-echo-deploy-prod"], PlanRoleReadsThisKey = ["arn:aws:iam::123456789012:role/http-echo-plan-prod"] }
    error_message = "prod's key policy names prod's deploy and plan roles, no others."
  }
}

run "rejects_deploy_without_image" {
  command = plan
  variables {
    container_image = ""
  }
  expect_failures = [var.container_image]
}
