-- The single state-version row every mutation compares and bumps.
INSERT INTO `state_version` (`id`, `value`) VALUES (1, 0);
