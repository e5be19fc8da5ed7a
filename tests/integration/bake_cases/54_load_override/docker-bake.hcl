target "app" {
  output = ["type=docker"]
  platforms = ["linux/amd64"]
}
target "lib" {
  output = ["type=local,dest=./out"]
}
target "img" {
  output = ["type=image,name=example/img"]
}
group "default" { targets = ["app", "lib", "img"] }
