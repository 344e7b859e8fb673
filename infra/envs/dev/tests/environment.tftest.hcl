# The dev root with its committed terraform.tfvars, against a mocked AWS: the
# shape dev is meant to have, the deploy interface (container_image and the
# outputs the pipeline reads), and the rejection of a deploy without a proper image.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  container_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo:3f2c1ab"
}

run "dev_shape" {
  assert {
    condition     = output.ecs_cluster_name == "http-echo-dev" && output.ecs_service_name == "http-echo-dev" && output.task_definition_family == "http-echo-dev"
    error_message = "dev's resources are named http-echo-dev."
  }
  assert {
    condition     = length(module.network.availability_zones) == 2 && length(output.public_subnet_ids) == 2 && length(output.private_subnet_ids) == 2
    error_message = "dev spans two zones."
  }
  assert {
    condition     = keys(module.network.nat_gateway_ids) == ["us-east-1a"]
    error_message = "dev saves on NAT: one gateway."
  }
  assert {
    condition     = var.fargate_spot == true && var.deletion_protection == false
    error_message = "dev runs on Fargate Spot and can be torn down."
  }
  assert {
    condition     = output.service_url == "http://${output.alb_dns_name}:5678"
    error_message = "service_url is the ALB on port 5678 (no domain in dev)."
  }
  assert {
    condition     = output.log_group_name == "/ecs/http-echo-dev" && startswith(output.sns_topic_arn, "arn:aws:sns:")
    error_message = "The pipeline reads the log group and topic from the outputs."
  }
  assert {
    condition     = output.container_image == var.container_image
    error_message = "The deployed image is reported back."
  }
}

run "dev_names_its_replicas_and_injects_no_fault" {
  command = plan
  assert {
    condition     = { for name, value in module.service.server_environment : name => value if !contains(["ECHO_TEXT", "ECHO_LISTEN", "ECHO_LOG_FORMAT", "ECHO_IDLE_TIMEOUT", "ECHO_SHUTDOWN_DELAY", "ECHO_SHUTDOWN_TIMEOUT"], name) } == { ECHO_SERVED_BY = "true" }
    error_message = "dev's tasks name themselves in X-Served-By (-served-by), and a deploy injects no fault."
  }
}

run "dev_takes_a_rehearsal_fault" {
  command = plan
  variables {
    fault_injection = { error_rate = 0.5 }
  }
  assert {
    condition     = module.service.server_environment["ECHO_ERROR_RATE"] == "0.5" && module.service.server_environment["ECHO_SERVED_BY"] == "true"
    error_message = "A rehearsal in dev deploys tasks that answer 5xx on purpose (ECHO_ERROR_RATE)."
  }
}

run "dev_roles_carry_the_boundary_and_run_the_key" {
  command = plan
  assert {
    condition     = local.permissions_boundary_arn == "arn:aws:iam::123456789012:policy/http-echo-boundary-dev"
    error_message = "Every role of dev carries dev's permissions boundary, which its deploy role may only create roles under."
  }
  assert {
    condition     = module.service.key_policy_principals == { DeployRoleManagesThisKey = ["arn:aws:iam::123456789012:role/http-echo-deploy-dev"], PlanRoleReadsThisKey = ["arn:aws:iam::123456789012:role/http-echo-plan-dev"] }
    error_message = "dev's key policy names dev's deploy and plan roles, no others."
  }
}

run "rejects_deploy_without_image" {
  command = plan
  variables {
    container_image = ""
  }
  expect_failures = [var.container_image]
}

run "rejects_deploy_with_untagged_image" {
  command = plan
  variables {
    container_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo:"
  }
  expect_failures = [var.container_image]
}

run "rejects_unknown_environment" {
  command = plan
  variables {
    environment = "staging"
  }
  expect_failures = [var.environment]
}
