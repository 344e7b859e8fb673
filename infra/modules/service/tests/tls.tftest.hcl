# The next steps of the original deployment, switched on by a domain: ACM certificate validated in
# Route 53, HTTPS on 443, HTTP redirected, alias record. ACM's validation options
# are known at plan time on AWS but not in a mock, so this file overrides them
# during plan and runs plans only (apply runs would need other overrides).

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan

  override_resource {
    target = aws_acm_certificate.this
    values = {
      arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
      domain_validation_options = [{
        domain_name           = "echo.example.com"
        resource_record_name  = "_0123456789abcdef.echo.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      }]
    }
  }

  override_resource {
    target = aws_acm_certificate_validation.this
    values = {
      certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
    }
  }
}

variables {
  name               = "http-echo-test"
  vpc_id             = "vpc-0a1b2c3d4e5f60718"
  public_subnet_ids  = ["subnet-public-a", "subnet-public-b"]
  private_subnet_ids = ["subnet-private-a", "subnet-private-b"]
  container_image    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo:3f2c1ab"
  domain_name        = "echo.example.com"
  route53_zone_id    = "Z0123456789ABCDEFGHIJ"
}

run "https_with_dns_validated_certificate" {
  command = plan

  assert {
    condition     = aws_acm_certificate.this[0].domain_name == "echo.example.com" && aws_acm_certificate.this[0].validation_method == "DNS"
    error_message = "The certificate covers the domain and is validated through DNS."
  }
  assert {
    condition     = aws_route53_record.certificate_validation["echo.example.com"].type == "CNAME" && aws_route53_record.certificate_validation["echo.example.com"].zone_id == "Z0123456789ABCDEFGHIJ"
    error_message = "The validation record goes into the domain's hosted zone."
  }
  assert {
    condition     = aws_lb_listener.https[0].port == 443 && aws_lb_listener.https[0].protocol == "HTTPS" && aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "HTTPS listens on 443 with a TLS 1.2+ policy."
  }
  assert {
    condition     = aws_lb_listener.https[0].certificate_arn == "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
    error_message = "The HTTPS listener uses the validated certificate."
  }
  assert {
    condition     = aws_lb_listener.https[0].default_action[0].type == "forward" && aws_lb_listener.https[0].default_action[0].target_group_arn == aws_lb_target_group.this.arn
    error_message = "HTTPS forwards to the tasks."
  }
}

run "http_redirects_to_https" {
  command = plan

  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" && aws_lb_listener.http.default_action[0].redirect[0].port == "443" && aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    error_message = "The 5678 listener redirects to HTTPS once a domain is set."
  }
  assert {
    condition     = aws_lb_listener.http_redirect[0].port == 80 && aws_lb_listener.http_redirect[0].default_action[0].type == "redirect"
    error_message = "Port 80 redirects to HTTPS too."
  }
  assert {
    condition     = toset(keys(aws_vpc_security_group_ingress_rule.alb_listeners)) == toset(["5678-0.0.0.0/0", "80-0.0.0.0/0", "443-0.0.0.0/0"])
    error_message = "The ALB opens 443 and the two redirecting ports."
  }
}

run "alias_record_and_https_url" {
  command = plan

  assert {
    condition     = aws_route53_record.alias[0].name == "echo.example.com" && aws_route53_record.alias[0].type == "A" && one(aws_route53_record.alias[0].alias).name == aws_lb.this.dns_name
    error_message = "An alias A record points the domain at the ALB."
  }
  assert {
    condition     = output.service_url == "https://echo.example.com:443"
    error_message = "With a domain the service URL is HTTPS on the domain."
  }
}
