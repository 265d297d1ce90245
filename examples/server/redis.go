package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/redisstore"
)

// openRedisFailures returns the redisstore.FailureStore of -redis: the
// gate's failure counts shared through Redis by every instance given the
// same address, -redis-prefix and secret (-redis-secret-file), so the
// failure limit is global. It does not contact Redis: while Redis cannot
// be reached, each instance counts locally and logs once. close releases
// the client.
func openRedisFailures(cfg *config, logger zerolog.Logger) (store *redisstore.FailureStore, close func(), err error) {
	opts := &redis.Options{Addr: cfg.redis}
	if strings.HasPrefix(cfg.redis, "redis://") || strings.HasPrefix(cfg.redis, "rediss://") {
		if opts, err = redis.ParseURL(cfg.redis); err != nil {
			return nil, nil, fmt.Errorf("-redis: not a Redis URL such as redis://host:6379/0 (%d characters)", len(cfg.redis))
		}
	}
	if opts.Password == "" {
		opts.Password = os.Getenv("REDIS_PASSWORD")
	}
	opts.ContextTimeoutEnabled = true // redisstore bounds every call by its context
	secret, err := os.ReadFile(cfg.redisSecret)
	if err != nil {
		return nil, nil, fmt.Errorf("-redis-secret-file: %w", err)
	}
	secret = bytes.TrimRight(secret, "\r\n")
	client := redis.NewClient(opts)
	store, err = redisstore.NewFailureStore(client, secret, redisstore.WithPrefix(cfg.redisPrefix),
		redisstore.WithTimeout(cfg.redisTime), redisstore.WithLogger(logger))
	if err != nil {
		_ = client.Close()
		return nil, nil, fmt.Errorf("-redis: %w", err)
	}
	return store, func() { _ = client.Close() }, nil
}
