//! Standard interfaces that stand in for well-known dependency files when an import of
//! them cannot be resolved (a single file scanned without its `node_modules` or `lib`).
//!
//! Each stub declares only interfaces fixed by a standard (EIP-20, EIP-721, EIP-777,
//! Chainlink's aggregator interface, the Uniswap v2 router and pair): the types and the
//! return values a caller relies on, so that `token.transfer(to, n)` through an imported
//! `IERC20` is still known to return a `bool`. No implementation is assumed. A stub is
//! used only for an import whose path ends with one of its file names, and only when no
//! loaded file declares one of its names itself.

/// One stub: the file names it stands in for, and its source.
pub(crate) struct Stub {
    pub(crate) file_names: &'static [&'static str],
    pub(crate) display_path: &'static str,
    pub(crate) source: &'static str,
}

const ERC20: &str = r#"// Standard interface stand-in (EIP-20), used because the import was not found.
pragma solidity >=0.4.0;

interface IERC20 {
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    function totalSupply() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function allowance(address owner, address spender) external view returns (uint256);
    function approve(address spender, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

interface IERC20Metadata is IERC20 {
    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    function decimals() external view returns (uint8);
}
"#;

const ERC20_UPGRADEABLE: &str = r#"// Standard interface stand-in (EIP-20), used because the import was not found.
pragma solidity >=0.4.0;

interface IERC20Upgradeable {
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    function totalSupply() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function allowance(address owner, address spender) external view returns (uint256);
    function approve(address spender, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}
"#;

const ERC721: &str = r#"// Standard interface stand-in (EIP-721), used because the import was not found.
pragma solidity >=0.4.0;

interface IERC721 {
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);
    function balanceOf(address owner) external view returns (uint256);
    function ownerOf(uint256 tokenId) external view returns (address);
    function safeTransferFrom(address from, address to, uint256 tokenId, bytes calldata data) external;
    function safeTransferFrom(address from, address to, uint256 tokenId) external;
    function transferFrom(address from, address to, uint256 tokenId) external;
    function approve(address to, uint256 tokenId) external;
    function setApprovalForAll(address operator, bool approved) external;
    function getApproved(uint256 tokenId) external view returns (address);
    function isApprovedForAll(address owner, address operator) external view returns (bool);
}
"#;

const ERC777: &str = r#"// Standard interface stand-in (EIP-777), used because the import was not found.
pragma solidity >=0.4.0;

interface IERC777 {
    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    function granularity() external view returns (uint256);
    function totalSupply() external view returns (uint256);
    function balanceOf(address owner) external view returns (uint256);
    function send(address recipient, uint256 amount, bytes calldata data) external;
    function burn(uint256 amount, bytes calldata data) external;
    function isOperatorFor(address operator, address tokenHolder) external view returns (bool);
    function authorizeOperator(address operator) external;
    function revokeOperator(address operator) external;
    function operatorSend(address sender, address recipient, uint256 amount, bytes calldata data, bytes calldata operatorData) external;
    function operatorBurn(address account, uint256 amount, bytes calldata data, bytes calldata operatorData) external;
}
"#;

const AGGREGATOR: &str = r#"// Chainlink aggregator interface stand-in, used because the import was not found.
pragma solidity >=0.4.0;

interface AggregatorV3Interface {
    function decimals() external view returns (uint8);
    function description() external view returns (string memory);
    function version() external view returns (uint256);
    function getRoundData(uint80 roundId) external view returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
"#;

const UNISWAP_V2_ROUTER: &str = r#"// Uniswap v2 router interface stand-in, used because the import was not found.
pragma solidity >=0.4.0;

interface IUniswapV2Router01 {
    function factory() external pure returns (address);
    function WETH() external pure returns (address);
    function addLiquidity(address tokenA, address tokenB, uint amountADesired, uint amountBDesired, uint amountAMin, uint amountBMin, address to, uint deadline) external returns (uint amountA, uint amountB, uint liquidity);
    function addLiquidityETH(address token, uint amountTokenDesired, uint amountTokenMin, uint amountETHMin, address to, uint deadline) external payable returns (uint amountToken, uint amountETH, uint liquidity);
    function removeLiquidity(address tokenA, address tokenB, uint liquidity, uint amountAMin, uint amountBMin, address to, uint deadline) external returns (uint amountA, uint amountB);
    function removeLiquidityETH(address token, uint liquidity, uint amountTokenMin, uint amountETHMin, address to, uint deadline) external returns (uint amountToken, uint amountETH);
    function swapExactTokensForTokens(uint amountIn, uint amountOutMin, address[] calldata path, address to, uint deadline) external returns (uint[] memory amounts);
    function swapTokensForExactTokens(uint amountOut, uint amountInMax, address[] calldata path, address to, uint deadline) external returns (uint[] memory amounts);
    function swapExactETHForTokens(uint amountOutMin, address[] calldata path, address to, uint deadline) external payable returns (uint[] memory amounts);
    function swapTokensForExactETH(uint amountOut, uint amountInMax, address[] calldata path, address to, uint deadline) external returns (uint[] memory amounts);
    function swapExactTokensForETH(uint amountIn, uint amountOutMin, address[] calldata path, address to, uint deadline) external returns (uint[] memory amounts);
    function swapETHForExactTokens(uint amountOut, address[] calldata path, address to, uint deadline) external payable returns (uint[] memory amounts);
    function getAmountsOut(uint amountIn, address[] calldata path) external view returns (uint[] memory amounts);
    function getAmountsIn(uint amountOut, address[] calldata path) external view returns (uint[] memory amounts);
}

interface IUniswapV2Router02 is IUniswapV2Router01 {
    function swapExactTokensForTokensSupportingFeeOnTransferTokens(uint amountIn, uint amountOutMin, address[] calldata path, address to, uint deadline) external;
    function swapExactETHForTokensSupportingFeeOnTransferTokens(uint amountOutMin, address[] calldata path, address to, uint deadline) external payable;
    function swapExactTokensForETHSupportingFeeOnTransferTokens(uint amountIn, uint amountOutMin, address[] calldata path, address to, uint deadline) external;
}
"#;

const UNISWAP_V2_PAIR: &str = r#"// Uniswap v2 pair interface stand-in, used because the import was not found.
pragma solidity >=0.4.0;

interface IUniswapV2Pair {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function price0CumulativeLast() external view returns (uint);
    function price1CumulativeLast() external view returns (uint);
    function swap(uint amount0Out, uint amount1Out, address to, bytes calldata data) external;
    function sync() external;
}
"#;

/// Every stub, in a fixed order.
pub(crate) const STUBS: &[Stub] = &[
    Stub {
        file_names: &[
            "IERC20.sol",
            "ERC20.sol",
            "SafeERC20.sol",
            "IERC20Metadata.sol",
        ],
        display_path: "<standard>/IERC20.sol",
        source: ERC20,
    },
    Stub {
        file_names: &[
            "IERC20Upgradeable.sol",
            "ERC20Upgradeable.sol",
            "SafeERC20Upgradeable.sol",
        ],
        display_path: "<standard>/IERC20Upgradeable.sol",
        source: ERC20_UPGRADEABLE,
    },
    Stub {
        file_names: &["IERC721.sol", "ERC721.sol", "ERC721Enumerable.sol"],
        display_path: "<standard>/IERC721.sol",
        source: ERC721,
    },
    Stub {
        file_names: &["IERC777.sol", "ERC777.sol"],
        display_path: "<standard>/IERC777.sol",
        source: ERC777,
    },
    Stub {
        file_names: &["AggregatorV3Interface.sol"],
        display_path: "<standard>/AggregatorV3Interface.sol",
        source: AGGREGATOR,
    },
    Stub {
        file_names: &["IUniswapV2Router01.sol", "IUniswapV2Router02.sol"],
        display_path: "<standard>/IUniswapV2Router02.sol",
        source: UNISWAP_V2_ROUTER,
    },
    Stub {
        file_names: &["IUniswapV2Pair.sol"],
        display_path: "<standard>/IUniswapV2Pair.sol",
        source: UNISWAP_V2_PAIR,
    },
];

/// The stub standing in for an unresolved import of `path`, if any.
pub(crate) fn for_import(path: &str) -> Option<usize> {
    let name = path.rsplit(['/', '\\']).next()?;
    STUBS.iter().position(|s| s.file_names.contains(&name))
}

/// The names a stub declares (its contracts and interfaces).
pub(crate) fn declared_names(parse: &syntax::Parse) -> Vec<String> {
    parse
        .ast()
        .contracts()
        .map(|(_, c)| c.name.as_str().to_owned())
        .collect()
}
