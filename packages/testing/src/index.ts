/**
 * Fakes and conformance suites users and our own tests import:
 * `@warmpool/testing/kubernetes` (HTTP fake of the Kubernetes API server),
 * `@warmpool/testing/aws` (HTTP fake of the AWS Auto Scaling Query API),
 * `@warmpool/testing/conformance` (suites every port adapter must pass),
 * `@warmpool/testing/redis` (Redis test environment: run in CI, skip visibly elsewhere),
 * `@warmpool/testing/prometheus` (`promtool check metrics` over an exposition; metric names it exposes).
 */
export {};
