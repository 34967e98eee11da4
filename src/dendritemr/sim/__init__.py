"""Forward model of the cell and writers of its signals in vendor formats."""
