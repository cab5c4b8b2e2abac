from xlbridge.cli import main

main()
