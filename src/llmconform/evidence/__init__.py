"""Evidence a third party can check: cassettes (recorded exchanges), verification, signatures."""
