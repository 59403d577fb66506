//! Values of the `orgs` module.

crate::string_enum!(
    /// What an organization is.
    OrganizationKind {
        School = "school",
        Company = "company",
        Other = "other",
    }
);
