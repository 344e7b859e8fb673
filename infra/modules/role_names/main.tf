# The names every root derives from the project and the environment, in one
# place: the access roots create the roles and the boundary under these names,
# the environment roots name them in the key policy and on their own roles.
# The deploy roles' names lie outside the environment's prefix on purpose: the
# prefix is what a deploy role may manage, and it must never manage itself.

locals {
  resource_prefix = "${var.project}-${var.environment}"
}
