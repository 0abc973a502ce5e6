// Package codegen stands in for pulumi-dotnet's codegen package, which the Go
// module proxy reachable here refuses to serve. The docker-build provider only
// uses CSharpPackageInfo as schema metadata for .NET SDK generation.
package codegen

type CSharpPackageInfo struct {
	RespectSchemaVersion bool              `json:"respectSchemaVersion,omitempty"`
	PackageReferences    map[string]string `json:"packageReferences,omitempty"`
}
