target "app-one" { tags = ["one"] }
target "app-two" { tags = ["two"] }
target "lib" { tags = ["lib"] }
group "libs" { targets = ["lib"] }
