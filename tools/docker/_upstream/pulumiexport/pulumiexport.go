// Package pulumiexport is not part of the upstream module. scripts/build-tools.sh
// adds it to a hash-checked copy of github.com/kreuzwerker/terraform-provider-docker
// (module path github.com/terraform-providers/terraform-provider-docker), because
// the provider's constructor lives in an internal package that the Pulumi bridge
// in tools/docker cannot import from outside the module.
package pulumiexport

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"

	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// Provider is the SDKv2 half of the upstream provider: every resource and data
// source @pulumi/docker maps. The upstream binary muxes it with a
// plugin-framework half (compose, a containers data source, actions), which
// @pulumi/docker has no types for.
func Provider(version string) *schema.Provider {
	return provider.New(version)()
}
