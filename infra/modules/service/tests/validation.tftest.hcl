# Wrong values are rejected at plan time with one clear message each, instead of
# failing halfway through an apply.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name               = "http-echo-test"
  vpc_id             = "vpc-0a1b2c3d4e5f60718"
  public_subnet_ids  = ["subnet-public-a", "subnet-public-b"]
  private_subnet_ids = ["subnet-private-a", "subnet-private-b"]
  container_image    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo:3f2c1ab"
}

run "accepts_tag_and_digest_references" {
  command = plan

  variables {
    container_image = "ghcr.io/example/http-echo:v1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  }
}

run "rejects_empty_image" {
  command = plan
  variables {
    container_image = ""
  }
  expect_failures = [var.container_image]
}

run "rejects_image_without_tag_or_digest" {
  command = plan
  variables {
    container_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo"
  }
  expect_failures = [var.container_image]
}

run "rejects_short_digest" {
  command = plan
  variables {
    container_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo@sha256:abc123"
  }
  expect_failures = [var.container_image]
}

run "rejects_single_public_subnet" {
  command = plan
  variables {
    public_subnet_ids = ["subnet-public-a"]
  }
  expect_failures = [var.public_subnet_ids]
}

run "rejects_single_private_subnet" {
  command = plan
  variables {
    private_subnet_ids = ["subnet-private-a"]
  }
  expect_failures = [var.private_subnet_ids]
}

run "rejects_bad_name" {
  command = plan
  variables {
    name = "Http_Echo"
  }
  expect_failures = [var.name]
}

run "rejects_memory_not_allowed_for_cpu" {
  command = plan
  variables {
    cpu    = 256
    memory = 4096
  }
  expect_failures = [var.memory]
}

run "rejects_unknown_architecture" {
  command = plan
  variables {
    cpu_architecture = "ARM32"
  }
  expect_failures = [var.cpu_architecture]
}

run "rejects_spot_on_arm64" {
  command = plan
  variables {
    cpu_architecture = "ARM64"
    fargate_spot     = true
  }
  expect_failures = [var.fargate_spot]
}

run "rejects_server_idle_timeout_not_above_alb" {
  command = plan
  variables {
    server_idle_timeout_seconds = 60
  }
  expect_failures = [var.server_idle_timeout_seconds]
}

run "rejects_drain_longer_than_fargate_allows" {
  command = plan
  variables {
    shutdown_delay_seconds   = 60
    shutdown_timeout_seconds = 60
  }
  expect_failures = [var.shutdown_timeout_seconds]
}

run "rejects_desired_count_outside_autoscaling_range" {
  command = plan
  variables {
    desired_count = 1
  }
  expect_failures = [var.desired_count]
}

run "rejects_inverted_cpu_thresholds" {
  command = plan
  variables {
    autoscaling = {
      cpu_scale_out_threshold = 10
      cpu_scale_in_threshold  = 85
    }
  }
  expect_failures = [var.autoscaling]
}

run "rejects_unknown_scaling_policy" {
  command = plan
  variables {
    autoscaling = {
      policy = "predictive"
    }
  }
  expect_failures = [var.autoscaling]
}

run "rejects_deployment_that_cannot_start_tasks" {
  command = plan
  variables {
    deployment_maximum_percent         = 100
    deployment_minimum_healthy_percent = 100
  }
  expect_failures = [var.deployment_minimum_healthy_percent]
}

run "rejects_deployment_maximum_above_200" {
  command = plan
  variables {
    deployment_maximum_percent = 300
  }
  expect_failures = [var.deployment_maximum_percent]
}

run "rejects_listener_on_443" {
  command = plan
  variables {
    listener_port = 443
  }
  expect_failures = [var.listener_port]
}

run "rejects_bad_ingress_cidr" {
  command = plan
  variables {
    allowed_ingress_cidrs = ["everyone"]
  }
  expect_failures = [var.allowed_ingress_cidrs]
}

run "rejects_unsupported_log_retention" {
  command = plan
  variables {
    log_retention_days = 10
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_bad_alarm_email" {
  command = plan
  variables {
    alarm_emails = ["not-an-address"]
  }
  expect_failures = [var.alarm_emails]
}

run "rejects_placeholder_alarm_emails" {
  command = plan
  variables {
    alarm_emails = ["oncall@http-echo.internal", "http-echo-alerts@example.com"]
  }
  expect_failures = [var.alarm_emails]
}

run "rejects_alarm_emails_in_test_domains" {
  command = plan
  variables {
    alarm_emails = ["ops@alerts.example.org", "ops@mail.test", "ops@x.invalid"]
  }
  expect_failures = [var.alarm_emails]
}

run "rejects_rollback_on_one_minute" {
  command = plan
  variables {
    alarms = { target_5xx_minutes = 1 }
  }
  expect_failures = [var.alarms]
}

run "rejects_error_rate_of_100_percent" {
  command = plan
  variables {
    alarms = { target_5xx_percent = 100 }
  }
  expect_failures = [var.alarms]
}

run "rejects_domain_without_zone" {
  command = plan
  variables {
    domain_name = "echo.example.com"
  }
  expect_failures = [var.domain_name]
}

run "rejects_malformed_domain" {
  command = plan
  variables {
    domain_name     = "https://echo.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }
  expect_failures = [var.domain_name]
}

run "rejects_health_check_timeout_not_below_interval" {
  command = plan
  variables {
    health_check = {
      interval_seconds = 5
      timeout_seconds  = 5
    }
  }
  expect_failures = [var.health_check]
}

run "rejects_empty_echo_text" {
  command = plan
  variables {
    echo_text = ""
  }
  expect_failures = [var.echo_text]
}

run "rejects_error_rate_above_one" {
  command = plan
  variables {
    fault_injection = { error_rate = 1.5 }
  }
  expect_failures = [var.fault_injection]
}

run "rejects_negative_delay" {
  command = plan
  variables {
    fault_injection = { delay_seconds = -1 }
  }
  expect_failures = [var.fault_injection]
}

run "rejects_ready_after_not_before_unhealthy_after" {
  command = plan
  variables {
    fault_injection = {
      ready_after_seconds     = 20
      unhealthy_after_seconds = 20
    }
  }
  expect_failures = [var.fault_injection]
}

run "rejects_ready_after_beyond_the_grace_period" {
  command = plan
  variables {
    fault_injection = { ready_after_seconds = 30 }
  }
  expect_failures = [var.fault_injection]
}
