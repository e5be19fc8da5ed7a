target "app" {
  tags = ["app:latest"]
  args = { A = "1" }
  platforms = ["linux/amd64"]
}
target "web" {
  tags = ["web:latest"]
}
group "default" { targets = ["app", "web"] }
