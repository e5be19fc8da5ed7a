target "default" {
  tags = ["example/app:latest"]
}
