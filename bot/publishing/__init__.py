"""Publishing: the durable job that turns a pasted link into claim messages and the article card."""
