target "app" {
  args = { KEEP = "1" }
  output = ["type=image,name=x", "type=image,name=x", "type=local,dest=out"]
  platforms = ["linux/amd64", "linux/amd64", "linux/arm64"]
  tags = ["t1", "t1", ""]
  cache-from = ["type=gha", "type=gha", "type=registry,ref=r"]
}
target "base" {
  args = { FROM_BASE = "1" }
}
target "child" {
  inherits = ["base"]
}
