"""The supervision group (督导检查组): inspection workbooks, rectification items until 销号,
scores and the quarterly 通报. Reads the store the coordination group's side fills; only the
faces (cli.py) and the intake's kind hook (service/kinds.py, registered by the faces) reach it."""
