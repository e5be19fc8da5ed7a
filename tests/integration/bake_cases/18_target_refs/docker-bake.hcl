target "base" {
  tags = ["base:1"]
  args = { A = "from-base" }
  platforms = ["linux/amd64"]
}
target "app" {
  tags = [for t in target.base.tags : "${t}-app"]
  args = { COPIED = target.base.args.A }
  platforms = target.base.platforms
}
group "default" { targets = ["app"] }
