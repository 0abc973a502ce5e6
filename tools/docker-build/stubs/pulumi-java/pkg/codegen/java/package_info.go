// Package java stands in for pulumi-java's codegen package, which the Go module
// proxy reachable here refuses to serve. The docker-build provider only uses its
// PackageInfo type to describe Java SDK generation in its schema; nothing of it
// runs when the provider builds images, so the fields it sets are all we keep.
package java

type PackageInfo struct {
	BuildFiles                      string            `json:"buildFiles,omitempty"`
	GradleNexusPublishPluginVersion string            `json:"gradleNexusPublishPluginVersion,omitempty"`
	Dependencies                    map[string]string `json:"dependencies,omitempty"`
}
