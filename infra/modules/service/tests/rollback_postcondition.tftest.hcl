# Why the postcondition that fails an apply ending in a rollback (ecs.tf) is tested
# against moto (pipeline/tests/test_deploy_moto.py) and not here.
#
# The postcondition compares what the service runs after the apply (self.task_definition,
# read back from ECS) with the revision the apply registered. A rollback is ECS putting
# the service back on the previous revision during the apply, so the read-back differs
# from the configuration. A mocked provider cannot show that: task_definition is set in
# the configuration (not computed), and Terraform's mock_provider and override_resource
# replace computed attributes only, so the read-back always equals the configured value
# and the postcondition always holds. This run pins that limit: if a Terraform release
# ever lets an override change a configured attribute, it fails, and the rollback can
# then be tested here with expect_failures = [aws_ecs_service.this].

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

run "a_mocked_rollback_is_ignored" {
  # The previous revision, as ECS would report it after a rollback.
  override_resource {
    target = aws_ecs_service.this
    values = {
      task_definition = "arn:aws:ecs:us-east-1:123456789012:task-definition/http-echo-test:1"
    }
  }
  assert {
    condition     = aws_ecs_service.this.task_definition == aws_ecs_task_definition.this.arn
    error_message = "The override of the service's task_definition took effect: a rollback can now be mocked, so test the postcondition here (expect_failures = [aws_ecs_service.this])."
  }
}
