from autograder.launch import main

main()
