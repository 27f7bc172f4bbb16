-- A delete under way: set before anything is removed, so a delete cut short (the server
-- killed) is finished at the next start instead of leaving half a workspace.
-- NULL: not being deleted; 1: its files go too; 0: its files are kept.
ALTER TABLE workspaces ADD COLUMN deleting INTEGER;
