region  = "us-east-1"
project = "http-echo"
