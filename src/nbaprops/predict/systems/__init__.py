"""The prediction systems: moving_average, zone_matchup, similarity, gbm, ensemble."""
