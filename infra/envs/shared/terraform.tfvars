# Non-secret values of the shared root. Replace github_repository with the
# repository that holds this project before the first apply.
region            = "us-east-1"
project           = "http-echo"
github_repository = "example-org/http-echo"

# dev's job builds and pushes the image; production only promotes its digest.
# In GitHub, give the "dev" environment the deployment branch "dev" and
# "production" the branch "main" plus required reviewers.
environments = {
  dev = {
    github_environment = "dev"
    can_push_images    = true
  }
  prod = {
    github_environment = "production"
  }
}
