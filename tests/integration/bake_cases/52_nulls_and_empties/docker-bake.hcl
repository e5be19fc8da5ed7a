target "base" {
  args = { A = "base", B = "base" }
  tags = ["base"]
}
target "default" {
  inherits = ["base"]
  args = { A = null, C = null }
  labels = { l = null, m = "x" }
  tags = null
  context = null
  platforms = []
  extra-hosts = { h = null }
}
