"""Everything under this folder is discovered by ``dg.load_from_defs_folder``; one domain per folder."""
