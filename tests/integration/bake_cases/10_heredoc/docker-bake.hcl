variable "BASE" { default = "alpine:3.20" }
target "default" {
  dockerfile-inline = <<EOT
FROM ${BASE}
RUN echo "hello" > /hello
EOT
  args = {
    INDENTED = <<-EOT
      line one
        line two
      EOT
  }
}
