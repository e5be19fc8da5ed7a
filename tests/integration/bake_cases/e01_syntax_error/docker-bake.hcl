target "default" {
  tags = ["a",
  args = { X = }
}
