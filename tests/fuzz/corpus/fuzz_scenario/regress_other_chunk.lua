load("error('elsewhere')")()
