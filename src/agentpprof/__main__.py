from agentpprof.cli import main

main()
