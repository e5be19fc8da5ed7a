variable "T" {
  default = "x"
}
target "default" {
  tags = ["a:${T}"]
  dockerfile-inline = <<EOT
FROM alpine
EOT
}
