variable "GO_VERSIONS" { default = ["1.21", "1.22"] }
variable "OSES" {
  type = list(string)
  default = ["linux"]
}
target "base" {
  name = "base-${sanitize(go)}"
  matrix = { go = GO_VERSIONS }
  args = { GO_VERSION = go }
  platforms = ["linux/amd64", "linux/arm64"]
}
target "bin" {
  name = "bin-${os}-${sanitize(go)}"
  matrix = { go = GO_VERSIONS, os = OSES }
  inherits = ["base-${sanitize(go)}"]
  contexts = { base = "target:base-${sanitize(go)}" }
  args = { OS = os }
  platforms = ["linux/amd64"]
}
group "default" { targets = ["bin"] }
