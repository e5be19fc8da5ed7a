target "default" {
  tags = ["a"]
  tagz = ["b"]
}
