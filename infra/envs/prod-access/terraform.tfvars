# prod's deployment roles, in prod's account. Replace github_repository with the
# repository that holds this project.
region            = "us-east-1"
project           = "http-echo"
environment       = "prod"
github_repository = "example-org/http-echo"

# deploy.yml on main applies prod in "production", after its reviewers approved;
# it plans prod before that, in "production-plan", with the read-only role.
deploy = { github_environment = "production", branch = "main" }
plan   = { github_environment = "production-plan", branch = "main" }

# One-account layout (see envs/dev-access/terraform.tfvars).
tooling_account_id          = null
create_github_oidc_provider = false
