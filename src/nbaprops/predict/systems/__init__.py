"""The prediction systems.

moving_average, zone_matchup, similarity, gbm, line_residual, minutes_ppm, and the ensemble of them.
"""
