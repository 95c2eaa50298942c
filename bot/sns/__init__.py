"""Amazon SNS over HTTPS: messages verified as AWS documents it, before anything reads them."""
