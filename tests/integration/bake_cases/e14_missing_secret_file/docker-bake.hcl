target "default" {
  secret = ["id=token,src=./no/such/file"]
}
