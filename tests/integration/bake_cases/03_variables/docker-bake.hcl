variable "TAG" {
  default = "latest"
}
variable "REGISTRY" {
  default = "docker.io/example"
}
variable "EMPTY" {}
target "default" {
  tags = ["${REGISTRY}/app:${TAG}", "${REGISTRY}/app:${EMPTY}x"]
  args = {
    VERSION = TAG
  }
}
