# Non-secret values of the shared root, in the tooling account. Replace
# github_repository with the repository that holds this project.
region            = "us-east-1"
project           = "http-echo"
github_repository = "example-org/http-echo"

# The account of each environment. Recommended: one account per environment
# (and this tooling account on its own), e.g. dev = "222222222222",
# prod = "333333333333". null keeps an environment in this account, the
# one-account layout these values show.
environment_account_ids = {
  dev  = null
  prod = null
}
