# dev's deployment roles, in dev's account. Replace github_repository with the
# repository that holds this project.
region            = "us-east-1"
project           = "http-echo"
environment       = "dev"
github_repository = "example-org/http-echo"

# deploy.yml on dev, in the GitHub environment "dev", applies and plans dev.
deploy = { github_environment = "dev", branch = "dev" }
plan   = { github_environment = "dev", branch = "dev" }
# prod's plan job (deploy.yml on main, environment "production-plan") may read
# what dev's ECS service runs: prod deploys only a digest dev ran to steady state.
promotion_reader = { github_environment = "production-plan", branch = "main" }

# One-account layout: the shared root is in this account and created the GitHub
# OIDC provider. With an account per environment (recommended), set
# tooling_account_id to the shared root's account and create the provider here.
tooling_account_id          = null
create_github_oidc_provider = false
