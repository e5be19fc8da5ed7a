target "default" {
  tags = ["app:${NOPE}"]
}
